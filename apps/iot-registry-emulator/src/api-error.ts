/** An error answer in the AWS restJson1 shape: its status, an `x-amzn-ErrorType` header and a `{message}` body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const invalid = (message: string) => new ApiError(400, "InvalidRequestException", message);
