#pragma once
// A value or an error, with std::expected's member names (std::expected needs C++23).
#include <utility>
#include <variant>

namespace orch::util {

template <class E> struct Unexpected {
    E error;
};
template <class E> Unexpected<std::decay_t<E>> unexpected(E&& e) {
    return {std::forward<E>(e)};
}

template <class T, class E> class Result {
  public:
    Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}
    template <class G> Result(Unexpected<G> e) : m_v(std::in_place_index<1>, std::move(e.error)) {}

    bool has_value() const { return m_v.index() == 0; }
    explicit operator bool() const { return has_value(); }
    T& value() & { return std::get<0>(m_v); }
    const T& value() const& { return std::get<0>(m_v); }
    T&& value() && { return std::get<0>(std::move(m_v)); }
    E& error() & { return std::get<1>(m_v); }
    const E& error() const& { return std::get<1>(m_v); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

  private:
    std::variant<T, E> m_v;
};

} // namespace orch::util
