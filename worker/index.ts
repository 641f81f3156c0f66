// The observatory's worker: the workflows (bundled from workflows/index.ts) and the activities of
// createActivities() on the configured task queue. Used by `npm start`, `npm run worker` and the tests;
// the workflow bundle never imports this module (it pulls in the activities and Node).
import { fileURLToPath } from "node:url";
import { DefaultLogger, Runtime, Worker, type NativeConnection } from "@temporalio/worker";
import { createActivities, type ActivityDeps } from "../activities/index.js";
import { projectRoot, type ObservatoryConfig } from "../temporal.config.js";

export const workflowsPath = fileURLToPath(new URL("../workflows/index.ts", import.meta.url));

/** Worker logs at WARN by default (OBSERVATORY_LOG_LEVEL=INFO for the bundler and state chatter). Call once, first. */
export function installRuntime(level = process.env.OBSERVATORY_LOG_LEVEL ?? "WARN"): void {
  Runtime.install({ logger: new DefaultLogger(level as "WARN") });
}

export async function createObservatoryWorker(
  connection: NativeConnection,
  config: ObservatoryConfig,
  deps: Partial<ActivityDeps> = {},
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...(config.worker.workflowBundle ? { workflowBundle: { codePath: config.worker.workflowBundle } } : { workflowsPath }),
    activities: createActivities({ config, projectRoot, ...deps }),
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
  });
}
