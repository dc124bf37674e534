#pragma once
// The outcomes a step's journal entry records (status.actions[].outcome), typed. The rules that
// read them are written once, in stepHistory (playbook_planner.h):
//   Started    journalled before the side effect; with no outcome after it, the step is in
//              doubt (under way, or cut short) and never repeated blindly;
//   Succeeded  done;            Observed  recorded what it would do (Observe mode, dryRun): done;
//   Failed     an attempt that failed: tried again after the cooldown, at most kMaxAttempts;
//   Skipped    not carried out (nothing to do now, a budget, the pod went): not a failure.

#include <optional>
#include <string_view>

namespace lg::actions {

enum class Outcome { kStarted, kSucceeded, kFailed, kSkipped, kObserved };

constexpr std::string_view name(Outcome o) {
  switch (o) {
    case Outcome::kStarted:
      return "Started";
    case Outcome::kSucceeded:
      return "Succeeded";
    case Outcome::kFailed:
      return "Failed";
    case Outcome::kSkipped:
      return "Skipped";
    case Outcome::kObserved:
      return "Observed";
  }
  return "?";
}

// The outcome a journal entry names, or none for anything else (an entry that cannot be read).
constexpr std::optional<Outcome> parseOutcome(std::string_view s) {
  for (auto o : {Outcome::kStarted, Outcome::kSucceeded, Outcome::kFailed, Outcome::kSkipped,
                 Outcome::kObserved})
    if (name(o) == s) return o;
  return std::nullopt;
}

}  // namespace lg::actions
