/** `name` with `:latest` when it names no tag or digest (what `docker pull` assumes). */
export function withDefaultTag(name: string): string {
  const last = name.split('/').pop() ?? name;
  return last.includes(':') || last.includes('@') ? name : `${name}:latest`;
}
