/**
 * Runs a CPU-heavy function (model fitting) in a worker thread so the API and the pipeline keep
 * answering meanwhile. The function is a named export of a module; input and result must be
 * structured-clone-able.
 */
import { Worker } from 'node:worker_threads';

export function runInWorker<I, O>(moduleUrl: URL, exportName: string, input: I): Promise<O> {
  return new Promise<O>((resolve, reject) => {
    const worker = new Worker(new URL('../../bin/ts-worker.js', import.meta.url), {
      workerData: { module: moduleUrl.href, export: exportName, input },
    });
    let settled = false;
    worker.once('message', (result: O) => {
      settled = true;
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`worker ${exportName} exited with code ${code}`));
    });
  });
}
