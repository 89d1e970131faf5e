/** The agents page: platform agents and your own (create and edit). Grows with the agent router (issue 4). */
export function Agents() {
  return (
    <section className="page" aria-labelledby="agents-h">
      <h1 id="agents-h" className="h1">
        Agents
      </h1>
      <p className="muted">Agents are on their way.</p>
    </section>
  );
}
