/**
 * The account's secondary-DNS objects (cloudflare.md §3): TSIGs, peers and ACLs under
 * `/accounts/{account_id}/secondary_dns/`, each with list, create, get, replace (PUT) and
 * delete. Validation and the error codes are the store's (transfer/settings.ts); this file
 * only routes.
 */

import type { FastifyInstance } from "fastify";
import type {
  AclInput,
  PeerInput,
  TransferSettings,
  TsigInput,
} from "../../cloudflare/transfer/settings.js";
import type { ApiContext } from "../context.js";
import { ok } from "../envelope.js";
import { checkAccount } from "./accounts.js";

interface Resource {
  list(s: TransferSettings): unknown[];
  create(s: TransferSettings, body: unknown): unknown;
  get(s: TransferSettings, id: string): unknown;
  update(s: TransferSettings, id: string, body: unknown): unknown;
  remove(s: TransferSettings, id: string): { id: string };
}

const RESOURCES: Record<"tsigs" | "peers" | "acls", Resource> = {
  tsigs: {
    list: (s) => s.listTsigs(),
    create: (s, body) => s.createTsig(body as TsigInput),
    get: (s, id) => s.getTsig(id),
    update: (s, id, body) => s.updateTsig(id, body as TsigInput),
    remove: (s, id) => s.deleteTsig(id),
  },
  peers: {
    list: (s) => s.listPeers(),
    create: (s, body) => s.createPeer(body as PeerInput),
    get: (s, id) => s.getPeer(id),
    update: (s, id, body) => s.updatePeer(id, body as PeerInput),
    remove: (s, id) => s.deletePeer(id),
  },
  acls: {
    list: (s) => s.listAcls(),
    create: (s, body) => s.createAcl(body as AclInput),
    get: (s, id) => s.getAcl(id),
    update: (s, id, body) => s.updateAcl(id, body as AclInput),
    remove: (s, id) => s.deleteAcl(id),
  },
};

export function zoneTransferRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const s = ctx.transfers;
  for (const [segment, r] of Object.entries(RESOURCES)) {
    const base = `/accounts/:account_id/secondary_dns/${segment}`;
    const item = `${base}/:id`;
    const idOf = (params: unknown) => (params as { id: string }).id;

    app.get(base, async (req) => {
      checkAccount(ctx, req);
      return ok(r.list(s));
    });
    app.post(base, async (req) => {
      checkAccount(ctx, req);
      return ok(r.create(s, req.body));
    });
    app.get(item, async (req) => {
      checkAccount(ctx, req);
      return ok(r.get(s, idOf(req.params)));
    });
    app.put(item, async (req) => {
      checkAccount(ctx, req);
      return ok(r.update(s, idOf(req.params), req.body));
    });
    app.delete(item, async (req) => {
      checkAccount(ctx, req);
      return ok(r.remove(s, idOf(req.params)));
    });
  }
}
