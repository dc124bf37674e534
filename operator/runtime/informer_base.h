#pragma once
// The type-independent face of an Informer<T>, for the Manager to start, stop and wait on.
// Thread safety as Informer<T>.

#include <chrono>
#include <string>

namespace lg::runtime {

class InformerBase {
 public:
  virtual ~InformerBase() = default;
  virtual const std::string& name() const = 0;
  virtual void start() = 0;
  virtual void stop() = 0;
  virtual bool hasSynced() const = 0;
};

}  // namespace lg::runtime
