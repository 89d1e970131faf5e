/** How much of a limit is used, as a bar a screen reader announces as a meter. */
export function Gauge(props: { label: string; used: number; limit: number; unit?: string }) {
  const { used, limit } = props;
  const ratio = limit > 0 ? Math.min(1, used / limit) : 1;
  const remaining = Math.max(0, limit - used);
  const level = ratio >= 1 ? 'full' : ratio >= 0.8 ? 'high' : 'ok';
  const text = `${used.toLocaleString('en-US')} of ${limit.toLocaleString('en-US')} used, ${remaining.toLocaleString('en-US')} left`;
  return (
    <div className={`gauge gauge-${level}`}>
      <div className="gauge-head">
        <span className="gauge-label">{props.label}</span>
        <span className="gauge-figure">
          {remaining.toLocaleString('en-US')} <small>left</small>
        </span>
      </div>
      {/* biome-ignore lint/a11y/useSemanticElements: a styled bar; <meter> cannot be styled alike in every browser */}
      <div
        className="gauge-track"
        role="meter"
        aria-label={props.label}
        aria-valuemin={0}
        aria-valuemax={limit}
        aria-valuenow={Math.min(used, limit)}
        aria-valuetext={text}
      >
        <div className="gauge-fill" style={{ width: `${(ratio * 100).toFixed(1)}%` }} />
      </div>
      <div className="gauge-foot">
        {level === 'full' ? `All ${limit.toLocaleString('en-US')} used` : text}
      </div>
    </div>
  );
}
