import { useState } from 'react';

/**
 * A product photo that never shows a broken-image icon: a missing or failing `imUrl` becomes a
 * neutral placeholder. Plain-http catalogue URLs are upgraded on https pages (no mixed content).
 * An empty `alt` marks the image decorative (its product's title is already next to it).
 * `eager`: the page's main photo (its largest paint), loaded at once and before other images.
 */
export function ProductImage({ src, alt, eager = false }: { src?: string; alt: string; eager?: boolean }) {
  const url = src ? secureUrl(src.trim()) : '';
  const [failedUrl, setFailedUrl] = useState<string | null>(null);

  if (!url || failedUrl === url) {
    return (
      <div
        className="product-image product-image--missing"
        {...(alt ? { role: 'img', 'aria-label': `${alt} (no image)` } : { 'aria-hidden': true })}
      >
        <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          <path
            d="M4 5h16a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm1 11.5 4-4.5 3 3 2.5-2.5L19 16.5V7H5z"
            fill="currentColor"
          />
        </svg>
      </div>
    );
  }
  return (
    <div className="product-image">
      <img
        src={url}
        alt={alt}
        loading={eager ? 'eager' : 'lazy'}
        fetchPriority={eager ? 'high' : 'auto'}
        decoding="async"
        onError={() => setFailedUrl(url)}
      />
    </div>
  );
}

function secureUrl(url: string): string {
  if (url.startsWith('http://') && window.location.protocol === 'https:') return `https://${url.slice(7)}`;
  return url;
}
