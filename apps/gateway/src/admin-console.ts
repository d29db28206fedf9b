import { existsSync, type Stats, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import type { Readable } from "node:stream";
import sirv, { type RequestHandler } from "sirv";
import { sendError } from "./rest/responses.ts";

/** Where the console is mounted; its Vite build uses the same `base`. */
export const ADMIN_CONSOLE_PATH = "/admin";

/** On every /admin answer (files, redirects, errors): the console loads nothing from elsewhere. */
export const ADMIN_CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; "),
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

const ALLOW = "GET, HEAD";
/** index.html names the hashed files of one build: always revalidated (ETag), so a deploy shows at once. */
const HTML_CACHE = "no-cache";
/** Vite's content-hashed output: a changed file gets a new name. */
const ASSET_CACHE = "public, max-age=31536000, immutable";
/** Unhashed files (public/: favicon and the like). */
const OTHER_CACHE = "public, max-age=300";

export type AdminConsole = {
  /** The directory served (absolute). */
  readonly dir: string;
  /** Whether the built console (its index.html) is there. */
  isBuilt(): boolean;
  /** Answers a request for `/admin` or a path under `/admin/` (see isAdminConsolePath). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void;
};

export function isAdminConsolePath(pathname: string): boolean {
  return pathname === ADMIN_CONSOLE_PATH || pathname.startsWith(`${ADMIN_CONSOLE_PATH}/`);
}

function cacheControlFor(file: string): string {
  if (file.endsWith(".html")) return HTML_CACHE;
  return file.startsWith("/assets/") ? ASSET_CACHE : OTHER_CACHE;
}

/** A client route of the single-page app: no file extension, and not under assets/ (hashed files only). */
function isClientRoute(file: string): boolean {
  return file !== "/assets" && !file.startsWith("/assets/") && path.posix.extname(file) === "";
}

/**
 * The built admin console (a Vite single-page app) under `/admin`, served by sirv from `dir`.
 *
 * sirv runs in its production mode: it lists `dir` once and serves from that list (no path outside
 * it can be named, dotfiles are left out, weak ETags answer 304). The list is made again when
 * index.html changes (a new build: checked with one stat per request), and when a request names a
 * file the list does not have but the directory now does (a build still writing when the list was
 * made). Unbuilt (no index.html), every /admin request answers 503 and the gateway runs as usual;
 * the console is picked up once built, without a restart.
 *
 * What sirv is not asked to decide: the SPA fallback (extension-less paths answer index.html, a
 * missing file with an extension is 404), Cache-Control per kind of file (set before sirv runs, so
 * a 304 carries it too), methods (GET and HEAD only) and Range (ignored: the whole file is sent,
 * as HTTP allows; sirv reads suffix ranges wrongly and fails on reversed ones).
 */
export function createAdminConsole(options: { readonly dir: string }): AdminConsole {
  const dir = path.resolve(options.dir);
  const indexFile = path.join(dir, "index.html");
  let serve: RequestHandler | undefined;
  /** The index.html the current list was made with (a new build rewrites it). */
  let servedIndex = "";

  const identity = (stats: Stats) => `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
  const list = () => sirv(dir, { etag: true, extensions: [], dotfiles: false });

  /** Whether `file` (a request path, as sirv decodes it) is a regular file inside `dir` right now. */
  function existsInDir(file: string): boolean {
    let decoded: string;
    try {
      decoded = decodeURI(file);
    } catch {
      return false;
    }
    const absolute = path.join(dir, decoded);
    return (
      absolute.startsWith(dir + path.sep) && statSync(absolute, { throwIfNoEntry: false })?.isFile() === true
    );
  }

  /** sirv reads the path from `req.url`: it is given the path inside the console, and no Range. */
  function sirvRequest(req: IncomingMessage, file: string): IncomingMessage {
    const { range: _ignored, ...headers } = req.headers;
    return Object.create(req, { url: { value: file }, headers: { value: headers } }) as IncomingMessage;
  }

  function notFound(res: ServerResponse): void {
    sendError(res, 404, "Not Found", "No such file in the admin console");
  }

  function notBuilt(res: ServerResponse): void {
    sendError(
      res,
      503,
      "Service Unavailable",
      "The admin console is not built: run `npm run build` (or `npm start`, which builds it)",
    );
  }

  function handle(req: IncomingMessage, res: ServerResponse, url: URL): void {
    for (const [name, value] of Object.entries(ADMIN_CONSOLE_SECURITY_HEADERS)) res.setHeader(name, value);
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") {
      sendError(res, 405, "Method Not Allowed", `Use ${ALLOW} for the admin console`, {}, { allow: ALLOW });
      return;
    }
    if (url.pathname === ADMIN_CONSOLE_PATH) {
      // Relative URLs in the console resolve against /admin/, so the bare path moves there.
      res.writeHead(308, { location: `${ADMIN_CONSOLE_PATH}/${url.search}`, "content-length": 0 });
      res.end();
      return;
    }
    // `url.pathname` is already free of dot segments (`..`, `%2e%2e`); decoding here fails
    // malformed escapes (400) and finds dotfiles hidden behind escapes (sirv never lists them).
    const inside = url.pathname.slice(ADMIN_CONSOLE_PATH.length);
    const decoded = decodeURIComponent(inside);
    if (decoded.includes("\0") || decoded.split("/").some((segment) => segment.startsWith("."))) {
      notFound(res);
      return;
    }
    const index = statSync(indexFile, { throwIfNoEntry: false });
    if (!index?.isFile()) {
      serve = undefined;
      notBuilt(res);
      return;
    }
    if (!serve || servedIndex !== identity(index)) {
      serve = list();
      servedIndex = identity(index);
    }
    // A file deleted after the stat (a rebuild) fails sirv's read stream: drop the connection
    // rather than leave the stream's error unhandled.
    res.once("pipe", (source: Readable) => source.once("error", () => res.destroy()));

    const file = inside === "/" ? "/index.html" : inside;
    let relisted = false;
    const answer = (handler: RequestHandler, target: string) => {
      res.setHeader("cache-control", cacheControlFor(target));
      handler(sirvRequest(req, target), res, () => {
        if (!relisted && existsInDir(target)) {
          relisted = true;
          serve = list();
          return answer(serve, target);
        }
        if (target !== "/index.html" && isClientRoute(file)) return answer(handler, "/index.html");
        notFound(res);
      });
    };
    answer(serve, file);
  }

  return { dir, isBuilt: () => existsSync(indexFile), handle };
}
