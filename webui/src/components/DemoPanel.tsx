import { useSentEvents } from '../session/ActivityContext';
import { useShopper } from '../session/ShopperContext';

/** Demo mode's view behind the scenes: who Personalize sees, and the events this page sent. */
export function DemoPanel() {
  const { userId, sessionId } = useShopper();
  const sentEvents = useSentEvents();
  return (
    <aside className="demo-panel" aria-label="Demo details">
      <dl>
        <div>
          <dt>Session id</dt>
          <dd>
            <code>{sessionId}</code>
          </dd>
        </div>
        <div>
          <dt>User id</dt>
          <dd>{userId ? <code>{userId}</code> : 'anonymous (Personalize sees the session id)'}</dd>
        </div>
      </dl>
      <h2 className="demo-panel__heading">Last events sent</h2>
      {sentEvents.length === 0 ? (
        <p>None yet: open a product or add one to the cart.</p>
      ) : (
        <ol className="demo-panel__events" aria-label="Last events sent">
          {sentEvents.map((event) => (
            <li key={`${event.at.getTime()}-${event.eventType}-${event.itemID}`}>
              <code>{event.eventType}</code> {event.itemID} at {event.at.toLocaleTimeString()} —{' '}
              {event.delivered === null ? 'sending…' : event.delivered ? 'sent to Kinesis' : 'not sent'}
            </li>
          ))}
        </ol>
      )}
    </aside>
  );
}
