/** An address the dashboard has no page for. */
export function NotFound() {
  return (
    <section>
      <h1>No such page</h1>
      <p>
        The dashboard has no page at this address. <a href="/ui/">Go to the overview</a>.
      </p>
    </section>
  );
}
