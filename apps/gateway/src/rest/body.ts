import type { IncomingMessage } from "node:http";
import { ValidationError } from "@hub/shared";

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The request body exceeds the limit of ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

export class UnsupportedMediaTypeError extends Error {
  constructor() {
    super("Content-Type must be application/json");
    this.name = "UnsupportedMediaTypeError";
  }
}

export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const [mediaType] = value.split(";");
  return mediaType?.trim().toLowerCase() === "application/json";
}

/**
 * Reads a JSON body up to `limit` bytes (`anyContentType`: whatever Content-Type it is sent with); stops collecting (and says so) as soon as it is exceeded.
 * Not with `for await`: leaving that loop early destroys the request and with it the socket, so
 * the client would get no 413 at all (closeAfterEarlyAnswer then closes the connection).
 */
export async function readJsonBody(
  req: IncomingMessage,
  limit: number,
  { anyContentType = false }: { anyContentType?: boolean } = {},
): Promise<unknown> {
  if (!anyContentType && !isJsonContentType(req.headers["content-type"]))
    throw new UnsupportedMediaTypeError();
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    let size = 0;
    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      stop();
      reject(new BodyTooLargeError(limit));
    };
    const onEnd = () => {
      stop();
      resolve();
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "")
    throw new ValidationError("The request body is empty; a JSON object is required", [
      { field: "body", message: "required" },
    ]);
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError("The request body is not valid JSON", [
      { field: "body", message: "malformed JSON" },
    ]);
  }
}

/**
 * For an answer sent before the request body has ended (a 413): close the connection without
 * losing the answer. Node closes it as soon as the answer is written, with the client's upload
 * still arriving; the kernel answers that unread data with a reset, and the reset reaches the
 * client before it has read our answer, which its kernel then drops (the client sees ECONNRESET,
 * never the 413). Instead, as RFC 9112 §9.6 describes: stop reading (the client's window closes
 * and its upload stalls, so nothing more is read), send the answer and a FIN, and close only
 * after `lingerMs`, by when the client has read the answer.
 */
export function closeAfterEarlyAnswer(
  req: IncomingMessage,
  { lingerMs = 2_000 }: { lingerMs?: number } = {},
): void {
  const socket = req.socket;
  req.pause();
  // The HTTP server calls destroySoon() once a `connection: close` answer is written.
  socket.destroySoon = () => {
    socket.pause();
    socket.end();
    const timer = setTimeout(() => socket.destroy(), lingerMs);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  };
}
