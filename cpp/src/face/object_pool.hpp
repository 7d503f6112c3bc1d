// A pool of non-thread-safe objects (detectors) so concurrent callers never share one.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace facenorm {

template <typename T>
class ObjectPool {
 public:
  explicit ObjectPool(std::function<std::unique_ptr<T>()> factory) : factory_(std::move(factory)) {}

  // Returns the object to the pool when the lease goes out of scope.
  class Lease {
   public:
    Lease(ObjectPool* pool, std::unique_ptr<T> obj) : pool_(pool), obj_(std::move(obj)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (obj_) pool_->give_back(std::move(obj_));
    }
    T& operator*() { return *obj_; }
    T* operator->() { return obj_.get(); }

   private:
    ObjectPool* pool_;
    std::unique_ptr<T> obj_;
  };

  Lease borrow() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        auto obj = std::move(free_.back());
        free_.pop_back();
        return Lease(this, std::move(obj));
      }
    }
    return Lease(this, factory_());  // built outside the lock: loading can take a while
  }

 private:
  void give_back(std::unique_ptr<T> obj) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(obj));
  }

  std::function<std::unique_ptr<T>()> factory_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<T>> free_;
};

}  // namespace facenorm
