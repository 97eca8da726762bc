import { Router } from 'express';
import { modelNotFound } from '@switchyard/contracts';
import { isUsable, type RoutingSnapshot, type RoutingTableStore } from '../routing/routing-table-store';

/**
 * `created` of every listed model. Tables carry no creation time per model and
 * clients cache model lists, so the value is a fixed date (2024-01-01) rather than
 * something that changes with every table.
 */
export const MODEL_CREATED_AT = 1_704_067_200;

interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

function modelObject(id: string): ModelObject {
  return { id, object: 'model', created: MODEL_CREATED_AT, owned_by: 'switchyard' };
}

/**
 * Pure: the OpenAI ListModelsResponse of a table, one entry per public model name
 * that has a usable scheduler right now (issue 21): a model whose every scheduler
 * is draining or unhealthy is not offered to clients that pick from the list.
 */
export function listModels(snapshot: RoutingSnapshot | undefined): { object: 'list'; data: ModelObject[] } {
  return { object: 'list', data: (snapshot?.availableModelNames ?? []).map(modelObject) };
}

/** Whether GET /v1/models/{id} finds `id`: the same rule as the list. */
export function isModelAvailable(snapshot: RoutingSnapshot | undefined, id: string): boolean {
  return snapshot?.targetsByModel.get(id)?.some((target) => isUsable(target.entry)) ?? false;
}

/** GET /v1/models and GET /v1/models/{id} (ids may contain slashes, e.g. "qwen/qwen3-8b"). */
export function modelsRouter(store: RoutingTableStore): Router {
  const router = Router();
  router.get('/v1/models', (_req, res) => {
    res.json(listModels(store.current()));
  });
  router.get('/v1/models/*id', (req, res) => {
    const segments = (req.params as { id: string[] }).id;
    const id = segments.join('/');
    if (!isModelAvailable(store.current(), id)) throw modelNotFound(id);
    res.json(modelObject(id));
  });
  return router;
}
