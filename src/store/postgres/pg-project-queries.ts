import type { ApiKey, Project } from '../store.js'
import { toApiKey, type ApiKeyRow } from '../sqlite/rows.js'
import type { Db } from './pg-transaction.js'

/** Projects, their keys and per-sink targets (the targets hold secrets: the API never returns them). */

export async function createProject (db: Db, p: Project): Promise<Project> {
  await db.query('INSERT INTO projects (id, name, created_at) VALUES ($1, $2, $3)', [p.id, p.name, p.createdAt])
  return p
}

export async function getProject (db: Db, id: string): Promise<Project | undefined> {
  const r = (await db.query<{ id: string, name: string, created_at: number }>('SELECT id, name, created_at FROM projects WHERE id = $1', [id])).rows[0]
  return r === undefined ? undefined : { id: r.id, name: r.name, createdAt: r.created_at }
}

export async function createApiKey (db: Db, k: ApiKey & { hash: string }): Promise<void> {
  await db.query('INSERT INTO api_keys (id, project_id, role, hash, created_at) VALUES ($1, $2, $3, $4, $5)', [k.id, k.projectId, k.role, k.hash, Date.now()])
}

export async function findApiKey (db: Db, hash: string): Promise<ApiKey | undefined> {
  const r = (await db.query<ApiKeyRow>('SELECT id, project_id, role FROM api_keys WHERE hash = $1', [hash])).rows[0]
  return r === undefined ? undefined : toApiKey(r)
}

export async function listApiKeys (db: Db, projectId: string): Promise<Array<ApiKey & { createdAt: number }>> {
  const rows = (await db.query<ApiKeyRow & { created_at: number }>('SELECT id, project_id, role, created_at FROM api_keys WHERE project_id = $1 ORDER BY created_at, id', [projectId])).rows
  return rows.map(r => ({ ...toApiKey(r), createdAt: r.created_at }))
}

export async function revokeApiKey (db: Db, projectId: string, keyId: string): Promise<boolean> {
  return ((await db.query('DELETE FROM api_keys WHERE project_id = $1 AND id = $2', [projectId, keyId])).rowCount ?? 0) > 0
}

export async function getSinkTarget (db: Db, projectId: string, sink: string): Promise<Record<string, unknown> | undefined> {
  const r = (await db.query<{ config: string }>('SELECT config FROM sink_targets WHERE project_id = $1 AND sink = $2', [projectId, sink])).rows[0]
  return r === undefined ? undefined : JSON.parse(r.config) as Record<string, unknown>
}

export async function putSinkTarget (db: Db, projectId: string, sink: string, config: Record<string, unknown>, now: number): Promise<void> {
  await db.query(`INSERT INTO sink_targets (project_id, sink, config, updated_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (project_id, sink) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`, [projectId, sink, JSON.stringify(config), now])
}

export async function deleteSinkTarget (db: Db, projectId: string, sink: string): Promise<boolean> {
  return ((await db.query('DELETE FROM sink_targets WHERE project_id = $1 AND sink = $2', [projectId, sink])).rowCount ?? 0) > 0
}

export async function listSinkTargets (db: Db, projectId: string): Promise<Array<{ sink: string, config: Record<string, unknown>, updatedAt: number }>> {
  const rows = (await db.query<{ sink: string, config: string, updated_at: number }>('SELECT sink, config, updated_at FROM sink_targets WHERE project_id = $1 ORDER BY sink', [projectId])).rows
  return rows.map(r => ({ sink: r.sink, config: JSON.parse(r.config) as Record<string, unknown>, updatedAt: r.updated_at }))
}

export async function listAllSinkTargets (db: Db): Promise<Array<{ projectId: string, sink: string, config: Record<string, unknown>, updatedAt: number }>> {
  const rows = (await db.query<{ project_id: string, sink: string, config: string, updated_at: number }>('SELECT project_id, sink, config, updated_at FROM sink_targets ORDER BY project_id, sink')).rows
  return rows.map(r => ({ projectId: r.project_id, sink: r.sink, config: JSON.parse(r.config) as Record<string, unknown>, updatedAt: r.updated_at }))
}
