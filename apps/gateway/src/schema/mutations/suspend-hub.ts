import { lifecycleMutation } from "../lifecycle-mutation.ts";

lifecycleMutation("SuspendHub", "suspendHub", "Suspends a hub (lost or stolen); it need not be online.");
