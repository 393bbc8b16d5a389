/** A Docker host as --docker-host and a target's docker.host take it (INTERFACES.md): unix:///path or ssh://[user@]host[:port]. */
export const DOCKER_HOST_RE = /^(?:unix:\/\/\/[^\0\s]{1,500}|ssh:\/\/(?:[A-Za-z0-9._-]{1,64}@)?(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?)$/;
