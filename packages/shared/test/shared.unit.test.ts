import { describe, expect, it } from "vitest";
import {
  type AppError,
  ConflictError,
  ForbiddenError,
  fromAppErrorData,
  NotFoundError,
  RateLimitedError,
  ThingNotFoundError,
  toAppErrorData,
  UnauthenticatedError,
  UnavailableError,
  ValidationError,
} from "../src/index.ts";

describe("application errors", () => {
  const samples: AppError[] = [
    new ValidationError("bad", [{ field: "serial", message: "must not be empty" }]),
    new UnauthenticatedError(),
    new ForbiddenError(),
    new NotFoundError("no hub"),
    new ConflictError("taken", "serial"),
    new ThingNotFoundError("thing-1"),
    new RateLimitedError(7),
    new UnavailableError("down", 3),
  ];

  it.each(samples.map((error) => [error.kind, error] as const))(
    "%s survives the trip between services",
    (_kind, error) => {
      const rebuilt = fromAppErrorData(JSON.parse(JSON.stringify(toAppErrorData(error))));
      expect(rebuilt).toBeInstanceOf(error.constructor);
      expect(toAppErrorData(rebuilt)).toEqual(toAppErrorData(error));
    },
  );

  it("maps each kind to its HTTP status", () => {
    expect(samples.map((error) => error.httpStatus)).toEqual([400, 401, 403, 404, 409, 422, 429, 503]);
  });
});
