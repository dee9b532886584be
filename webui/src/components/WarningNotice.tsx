import { Fragment } from 'react';

/** The API's `warning` (e.g. how to enable recommendations), with its line breaks kept. */
export function WarningNotice({ text }: { text: string }) {
  const lines = text.split(/\r?\n/);
  return (
    <div className="warning-notice" role="note" aria-label="Notice">
      <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
        <path d="M12 3 2 21h20L12 3zm-1 7h2v5h-2v-5zm0 6.5h2v2h-2v-2z" fill="currentColor" />
      </svg>
      <p>
        {lines.map((line, index) => (
          <Fragment key={index}>
            {index > 0 && <br />}
            {line}
          </Fragment>
        ))}
      </p>
    </div>
  );
}
