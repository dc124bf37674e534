#pragma once
// Where a Reflector delivers what it lists and watches. Informer<T> implements it: it projects
// each object, keeps the projection in its Store and calls the event handlers.
// All calls come from the reflector's one thread, in order. The views are valid during the call
// only (object_view.h).

#include "operator/kube/api_client.h"
#include "operator/kube/object_view.h"

namespace lg::runtime {

class ReflectorSink {
 public:
  virtual ~ReflectorSink() = default;
  // A (re)list starts; listed() follows once per object, page by page, then endList().
  virtual void beginList() = 0;
  virtual void listed(const kube::ObjectView& object) = 0;
  // complete: the list finished and the sink should make its contents exactly the listed
  // objects. !complete: the list failed midway; discard what was staged and keep the old state.
  virtual void endList(bool complete) = 0;
  // A watch event: kAdded, kModified or kDeleted (bookmarks and errors are the reflector's).
  virtual void watched(kube::WatchEvent::Type type, const kube::ObjectView& object) = 0;
};

}  // namespace lg::runtime
