// SPDX-License-Identifier: MIT
// ParamDecl: a model block's knobs, each declared once beside the block's
// Params struct (which holds the default): its key, unit, accepted range
// and a one-line doc saying what the default means and where it comes from
// (a source, or "assumption").  The simulator's configuration reads every
// key's type, range and doc from here, for the TOML reader, --set,
// `zpcisim config dump` and --help alike.
//
// A block declares its keys by specialising param_keys:
//
//	template <>
//	inline constexpr ParamDecl param_keys<MemoryParams>[] = {
//		number<&MemoryParams::latency_cycles>("latency_cycles", "cycles", "..."),
//		...
//	};
//
// A block inside a block (the DTU's IOTLB) is a key made by block<>: its
// keys are in a section of their own, named by it ("iotlb.entries"), so
// sections are flat however deep the structs nest.  find_keys() lists a
// tree's keys by their full names, with the way to each one's member.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace zpcisim {

enum class ParamKind { U32, U64, Double, Bool, Choice, Block };

struct ParamDecl {
	const char *name;	// the key in its section ("entries"); a block: its section
	ParamKind kind;
	const char *unit;	// "" for none
	double min, max;	// numbers: the accepted range
	// What the default means and where it comes from.  Null: the block
	// that holds this one says, with the doc of its block<> key (a cache's
	// entries: what they hold, and how many, is the holder's business).
	const char *doc;
	// The member, in a struct of the declaring type.
	void *(*field)(void *params);
	// Choice: the names of the member's enum, by value, and the member as
	// that value.
	const std::vector<std::string> &(*names)();
	size_t (*get)(const void *field);
	void (*set)(void *field, size_t value);
	// Block: its keys.
	const ParamDecl *keys;
	size_t nkeys;
};

// P's keys: specialised beside each Params struct P.
template <typename P>
extern const ParamDecl param_keys[];

namespace param_detail {

template <typename>
struct MemberOf;
template <typename P, typename T>
struct MemberOf<T P::*> {
	using Params = P;
	using Type = T;
};
template <auto M>
using Params = typename MemberOf<decltype(M)>::Params;
template <auto M>
using Type = typename MemberOf<decltype(M)>::Type;

template <auto M>
void *address(void *p)
{
	return &(static_cast<Params<M> *>(p)->*M);
}

template <typename E>
size_t get(const void *f)
{
	return static_cast<size_t>(*static_cast<const E *>(f));
}

template <typename E>
void set(void *f, size_t v)
{
	*static_cast<E *>(f) = static_cast<E>(v);
}

template <typename T>
constexpr ParamKind kind()
{
	if constexpr (std::is_same_v<T, uint32_t>)
		return ParamKind::U32;
	else if constexpr (std::is_same_v<T, uint64_t>)
		return ParamKind::U64;
	else if constexpr (std::is_same_v<T, double>)
		return ParamKind::Double;
	else if constexpr (std::is_same_v<T, bool>)
		return ParamKind::Bool;
	else {
		static_assert(std::is_enum_v<T>, "a key is a u32, u64, double, bool or enum");
		return ParamKind::Choice;
	}
}

}  // namespace param_detail

// A number in [@min, @max], in @unit ("" for none).
template <auto M>
constexpr ParamDecl number(const char *name, const char *unit, double min, double max,
			   const char *doc)
{
	constexpr ParamKind k = param_detail::kind<param_detail::Type<M>>();
	static_assert(k == ParamKind::U32 || k == ParamKind::U64 || k == ParamKind::Double);
	return { name, k, unit, min, max, doc, &param_detail::address<M>, nullptr, nullptr, nullptr,
		 nullptr, 0 };
}

// A whole number, any its type holds.
template <auto M>
constexpr ParamDecl number(const char *name, const char *unit, const char *doc)
{
	using T = param_detail::Type<M>;
	static_assert(std::is_integral_v<T>, "a fractional number says its range");
	return number<M>(name, unit, 0, double(std::numeric_limits<T>::max()), doc);
}

template <auto M>
constexpr ParamDecl flag(const char *name, const char *doc)
{
	static_assert(std::is_same_v<param_detail::Type<M>, bool>);
	return { name, ParamKind::Bool, "", 0, 1, doc, &param_detail::address<M>, nullptr, nullptr,
		 nullptr, nullptr, 0 };
}

// An enum, named by @names: value i is names()[i].
template <auto M>
constexpr ParamDecl choice(const char *name, const std::vector<std::string> &(*names)(),
			   const char *doc)
{
	using E = param_detail::Type<M>;
	static_assert(std::is_enum_v<E>);
	return { name, ParamKind::Choice, "", 0, 0, doc, &param_detail::address<M>, names,
		 &param_detail::get<E>, &param_detail::set<E>, nullptr, 0 };
}

// A Params struct within this one, its keys in section @name; @doc: the
// doc of its keys declared without one.
template <auto M>
constexpr ParamDecl block(const char *name, const char *doc = nullptr)
{
	using P = param_detail::Type<M>;
	return { name, ParamKind::Block, "", 0, 0, doc, &param_detail::address<M>, nullptr, nullptr,
		 nullptr, param_keys<P>, std::size(param_keys<P>) };
}

// A key of a tree of Params structs, found through the blocks that hold it.
struct ParamKey {
	std::string key;	// "iotlb.entries"
	const ParamDecl *decl;
	const char *doc;	// the declaration's, or that of the block<> key holding it
	std::vector<void *(*)(void *)> path;	// from the root to the struct declaring it

	// The member in @root, a struct of the type the keys were found from.
	void *field(void *root) const;
	const void *field(const void *root) const { return field(const_cast<void *>(root)); }
};

// Every key of @keys and of the blocks they hold, in order: a block's keys
// named in its section, the others as they are declared.
std::vector<ParamKey> find_keys(const ParamDecl *keys, size_t n);

// A block's clock period, "clock_ns": from 1 ps to 1 ms.
template <auto M>
constexpr ParamDecl clock_period(const char *doc)
{
	return number<M>("clock_ns", "ns", 1e-3, 1e6, doc);
}

}  // namespace zpcisim
