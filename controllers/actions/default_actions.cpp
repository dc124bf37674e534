#include "controllers/actions/default_actions.h"

#include "controllers/actions/annotate_action.h"
#include "controllers/actions/capture_diagnostics_action.h"
#include "controllers/actions/enforce_quota_action.h"
#include "controllers/actions/event_action.h"
#include "controllers/actions/label_action.h"
#include "controllers/actions/reschedule_action.h"
#include "controllers/actions/resize_limits_action.h"
#include "controllers/actions/restart_action.h"
#include "controllers/actions/rollback_action.h"

namespace lg::actions {

void registerDefaultActions(ActionRegistry& registry, HttpFetcher& fetcher) {
  registry.add(std::make_unique<CaptureDiagnosticsAction>(fetcher));
  registry.add(std::make_unique<ResizeLimitsAction>());
  registry.add(std::make_unique<RestartAction>());
  registry.add(std::make_unique<RescheduleAction>());
  registry.add(std::make_unique<RollbackAction>());
  registry.add(std::make_unique<EnforceQuotaAction>());
  registry.add(std::make_unique<EventAction>());
  registry.add(std::make_unique<AnnotateAction>());
  registry.add(std::make_unique<LabelAction>());
}

}  // namespace lg::actions
