/**
 * A wide table's box: it scrolls sideways on a phone, so it takes keyboard focus (arrow keys
 * scroll it) and has a name for screen readers.
 */
export function ScrollBox({
  label,
  children,
}: {
  label: string;
  children: preact.ComponentChildren;
}) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}
