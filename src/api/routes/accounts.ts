/**
 * `GET /accounts` and `GET /accounts/{account_id}` (cloudflare.md §3), and the account's DNS
 * settings, `GET/PATCH /accounts/{account_id}/dns_settings` (§5; rules/account-settings.ts).
 * The emulator serves one account, named in the config file; any other account id routes
 * nowhere (7003).
 */

import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Account } from "../../cloudflare/account.js";
import { accountSettingsJson } from "../../cloudflare/rules/account-settings.js";
import type { ApiContext } from "../context.js";
import { pathOf } from "../context.js";
import { ok } from "../envelope.js";
import { couldNotRoute } from "../errors.js";
import { pageRequest, paginate } from "../paging.js";

/** Cloudflare's defaults for listing accounts. */
const ACCOUNTS_PAGE = { perPage: 20, maxPerPage: 50 };

export function accountResult(account: Account): { id: string; name: string; type: string } {
  return { id: account.id, name: account.name, type: "standard" };
}

/** Throws 7003 unless `account_id` in the path is the served account. */
export function checkAccount(ctx: ApiContext, req: FastifyRequest): void {
  const { account_id } = req.params as { account_id: string };
  if (account_id !== ctx.account.id) throw couldNotRoute(pathOf(req.url));
}

export function accountRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/accounts", async (req) => {
    const { page, info } = paginate(
      [accountResult(ctx.account)],
      pageRequest(req.query as Record<string, unknown>, ACCOUNTS_PAGE),
    );
    return ok(page, info);
  });

  app.get("/accounts/:account_id", async (req) => {
    checkAccount(ctx, req);
    return ok(accountResult(ctx.account));
  });

  const settings = "/accounts/:account_id/dns_settings";
  app.get(settings, async (req) => {
    checkAccount(ctx, req);
    return ok(accountSettingsJson(ctx.cloudflare.accountSettings()));
  });
  app.patch(settings, async (req) => {
    checkAccount(ctx, req);
    return ok(accountSettingsJson(ctx.cloudflare.editAccountSettings(req.body)));
  });
}
