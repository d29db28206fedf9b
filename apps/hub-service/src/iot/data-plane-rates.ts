/**
 * The data plane's operations and default rates, apart from iot-data-plane.ts so that env.ts can
 * name them without loading the AWS SDK (main.ts parses the environment before tracing starts,
 * and tracing must see node:http and the SDK load).
 */
export type DataPlaneOperation = "GetThingShadow" | "UpdateThingShadow" | "DeleteThingShadow";

/**
 * Default calls per second of this process, per operation. AWS IoT Core's Device Shadow quotas
 * (AWS General Reference, "AWS IoT Core endpoints and quotas", Device Shadow service quotas,
 * https://docs.aws.amazon.com/general/latest/gr/iot-core.html): GetThingShadow, UpdateThingShadow
 * and DeleteThingShadow each have their own per-account, per-region API rate (4,000/s in the
 * largest regions, lower, down to 400/s, in others; adjustable), and every Thing at most 20 shadow
 * requests/s. These figures are as remembered, not read from the page: the project's documentation
 * search did not return that table. Check the deployment's region (Service Quotas console). The
 * defaults stay under the smallest regional figure with room for replicas and other callers, as
 * IOT_REGISTRY_RPS does under DescribeThing's 350/s; DeleteThingShadow is rare (commands are
 * cleaned up by updates that write null), so it gets less.
 */
export const DATA_PLANE_DEFAULT_RPS: Readonly<Record<DataPlaneOperation, number>> = {
  GetThingShadow: 300,
  UpdateThingShadow: 300,
  DeleteThingShadow: 100,
};
