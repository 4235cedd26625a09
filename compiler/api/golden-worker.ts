// Worker thread of runBatch (index.ts): loads the model from its source (file path or .tflite bytes) and
// the golden runtime once, then runs every input it is sent and posts the result back (or the error's
// message, so the caller names the input). Bundled to dist/golden-worker.mjs by scripts/build.mjs.
import { parentPort, workerData } from 'node:worker_threads';
import { loadModel, loadModelFromBytes, run, type Model, type ModelSource, type RunOptions } from './index.ts';
import type { TensorValues } from '../../runtime-wasm/host.ts';

const { source, opts } = workerData as { source: ModelSource; opts: RunOptions };
let model: Model | undefined;

parentPort!.on('message', async (job: { i: number; inputs: TensorValues[] }) => {
  try {
    model ??= 'path' in source ? loadModel(source.path) : loadModelFromBytes(source.bytes, source.name);
    const result = await run(model, job.inputs, opts);
    parentPort!.postMessage({ i: job.i, result });
  } catch (e) {
    const err = e as Error;
    parentPort!.postMessage({ i: job.i, error: { name: err.name ?? 'Error', message: err.message ?? String(e) } });
  }
});
