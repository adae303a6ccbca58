// What a hub with no sources shows on Now and History: the three steps to a first notification.
export function FirstRun() {
  return (
    <section className="card first-run" aria-labelledby="first-run-title">
      <h2 id="first-run-title">Get started</h2>
      <ol>
        <li>
          <a href="#/sources">Add a source</a>: a webhook URL and secret for your CI, or a poller for Kosli, DefectDojo…
        </li>
        <li>
          <a href="#/channels">Add a channel</a>: a desktop popup, Slack, Teams, email or any webhook.
        </li>
        <li>
          <a href="#/rules">Add a rule</a>: which events go to which channels.
        </li>
      </ol>
      <p className="muted">Every event lands in History whether or not a rule matches it; what has a state (a pipeline, a deployment, compliance) shows on Now.</p>
    </section>
  );
}
