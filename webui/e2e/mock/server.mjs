import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { MockApi } from './api.mjs';
import { handleAwsRequest } from './aws.mjs';
import { ITEMS, imageOf } from './catalogue.mjs';

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * A stand-in for the local store (`make run`) so the browser tests run anywhere: serves the built
 * web UI at / (with SPA fallback for deep links), the API under /Prod/, product images under
 * /images/, and on a second port the Cognito + Kinesis APIs that /session points the browser at.
 * Both servers listen on 127.0.0.1 on free ports.
 */
export async function startMockStore({ distDir }) {
  const api = new MockApi();
  const awsServer = createServer((request, response) => {
    collectBody(request).then(
      (body) => handleAwsRequest(request, body, response, (record) => api.recordClick(record.data)),
      () => response.destroy(),
    );
  });
  const awsUrl = await listen(awsServer);

  const storeServer = createServer((request, response) => {
    serveStore(request, response, { api, awsUrl, distDir }).catch((error) => {
      response.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: String(error) }));
    });
  });
  const baseUrl = await listen(storeServer);

  return {
    baseUrl,
    api,
    close: () => Promise.all([close(storeServer), close(awsServer)]),
  };
}

async function serveStore(request, response, { api, awsUrl, distDir }) {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    sendJson(response, 405, { message: `${request.method} is not allowed` });
    return;
  }
  if (url.pathname.startsWith('/Prod/')) {
    const path = url.pathname.slice('/Prod/'.length);
    const { status, body } = api.handle(path, url.searchParams);
    const payload = path === 'session' ? { ...body, Endpoints: { kinesis: awsUrl, 'cognito-identity': awsUrl } } : body;
    sendJson(response, status, payload);
    return;
  }
  const image = url.pathname.match(/^\/images\/([\w-]+)\.svg$/);
  if (image) {
    const item = ITEMS.find((candidate) => candidate.asin === image[1]);
    if (item) response.writeHead(200, { 'Content-Type': 'image/svg+xml' }).end(imageOf(item));
    else response.writeHead(404).end();
    return;
  }
  await serveBuiltFile(url.pathname, response, distDir);
}

/** Files from the build; any other path that is not a file gets index.html (client-side routes). */
async function serveBuiltFile(pathname, response, distDir) {
  const relative = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
  const file = join(distDir, relative);
  if (!file.startsWith(distDir + sep) && file !== distDir) {
    response.writeHead(403).end();
    return;
  }
  try {
    const content = await readFile(file);
    response.writeHead(200, { 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' }).end(content);
  } catch {
    if (extname(relative) && !relative.endsWith('.html')) {
      response.writeHead(404).end();
      return;
    }
    const index = await readFile(join(distDir, 'index.html'));
    response.writeHead(200, { 'Content-Type': CONTENT_TYPES['.html'] }).end(index);
  }
}

function sendJson(response, status, body) {
  response
    .writeHead(status, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' })
    .end(JSON.stringify(body));
}

function collectBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

function close(server) {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
