import { lifecycleMutation } from "../lifecycle-mutation.ts";

lifecycleMutation("ResumeHub", "resumeHub", "Resumes a suspended hub (extension of the contract).");
