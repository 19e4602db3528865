/** Adapts the IsolationForest (src/model/iforest) to the `/predict` model seam. */
import type { IsolationForest } from '../../model/iforest/isolation-forest.js';
import type { PredictModel } from '../app-deps.js';

export function forestPredictModel(forest: IsolationForest, version: string): PredictModel {
  return {
    version,
    nFeatures: forest.nFeatures,
    score: (data, nRows) => forest.score({ data: nRows * forest.nFeatures === data.length ? data : data.subarray(0, nRows * forest.nFeatures), nFeatures: forest.nFeatures }),
  };
}
