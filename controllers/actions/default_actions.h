#pragma once
// Registers the actions LeakGuard ships: captureDiagnostics (through `fetcher`), resizeLimits,
// restart, reschedule, rollback, enforceQuota, event, annotate. `fetcher` must outlive the
// registry.

#include "controllers/actions/action_registry.h"
#include "controllers/actions/http_fetcher.h"

namespace lg::actions {

void registerDefaultActions(ActionRegistry& registry, HttpFetcher& fetcher);

}  // namespace lg::actions
