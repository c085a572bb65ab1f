#pragma once
// Hand-overs between the window's thread and the training worker's, made visible to
// ThreadSanitizer.
//
// Work and data cross threads only through Qt's event queue: a queued call or a queued signal,
// whose arguments Qt copies and delivers on the receiver's thread. That queue is ordered by a
// QMutex inside libQt6Core, a futex that TSan cannot see, so without help it reports every value
// built on one thread and read on the other after the hand-over. The sender calls handOver()
// just before it posts or emits; the receiver calls takeOver() when a queued call is delivered
// (RunController::event, TrainingWorker::event). In other builds both are empty.

#if defined(__SANITIZE_THREAD__)
#define LL_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LL_THREAD_SANITIZER 1
#endif
#endif

#ifdef LL_THREAD_SANITIZER
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace ll::ui {

/// The two directions: to the worker's thread, to the window's thread.
enum class Handoff { ToWorker, ToWindow };

namespace detail {
inline char* handoffToken(Handoff h) {
    static char tokens[2];
    return &tokens[h == Handoff::ToWorker ? 0 : 1];
}
}  // namespace detail

/// Everything this thread wrote so far happens before what the receiver does after takeOver(h).
inline void handOver([[maybe_unused]] Handoff h) {
#ifdef LL_THREAD_SANITIZER
    __tsan_release(detail::handoffToken(h));
#endif
}

inline void takeOver([[maybe_unused]] Handoff h) {
#ifdef LL_THREAD_SANITIZER
    __tsan_acquire(detail::handoffToken(h));
#endif
}

}  // namespace ll::ui
