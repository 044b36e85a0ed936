/**
 * One line for an operator when a listener cannot bind (port taken, not allowed, address not on this host), naming
 * the variable to change; undefined for other errors, which keep their stack.
 */
export function describeListenError(
  variable: string,
  host: string,
  port: number,
  error: unknown,
): string | undefined {
  const where = `${host}:${port}`;
  switch ((error as NodeJS.ErrnoException | undefined)?.code ?? '') {
    case 'EADDRINUSE':
      return `${variable}=${port} is already in use on ${host} (another program, or another lfs-depot, listens on ${where}); stop it or choose another ${variable}`;
    case 'EACCES':
      return `${variable}=${port} on ${host} is not allowed for this user (ports below 1024 need privileges); choose another ${variable}`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: ${host} is not an address of this host; check the host variable beside ${variable}`;
    default:
      return undefined;
  }
}
