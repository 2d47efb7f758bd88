// SPDX-License-Identifier: MIT
// A test-side builder of zPCI translation tables in a sparse memory, and
// the independent oracle the translator is checked against: a plain map of
// what the test mapped.  It shares no code with the translator beyond the
// architected constants.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>

#include <zpci/arch.h>
#include <zpci/mem.h>

namespace zpcisim::test {

struct Mapping {
	uint64_t pa;		// frame address
	uint64_t size;		// 4 KiB, 1 MiB or 2 GiB
	bool readonly;
};

// The oracle: frame-aligned IOVA -> mapping, per frame size.
class Oracle {
public:
	void add(uint64_t iova, const Mapping &m) { by_size_[m.size][iova] = m; }

	// Where @iova goes, or nullopt when nothing maps it.
	std::optional<std::pair<uint64_t, bool>> lookup(uint64_t iova) const
	{
		for (const auto &[size, maps] : by_size_) {
			auto it = maps.find(iova & ~(size - 1));
			if (it != maps.end())
				return std::make_pair(it->second.pa | (iova & (size - 1)),
						      it->second.readonly);
		}
		return std::nullopt;
	}

	size_t size() const
	{
		size_t n = 0;
		for (const auto &kv : by_size_)
			n += kv.second.size();
		return n;
	}

	const std::map<uint64_t, std::map<uint64_t, Mapping>> &all() const { return by_size_; }

private:
	std::map<uint64_t, std::map<uint64_t, Mapping>> by_size_;
};

// Builds a region-third-rooted table (the Linux shape) in @mem.  Tables are
// carved from [table_base, ...) with a bump allocator; every new table has
// all entries invalid, as a driver allocates it.  The caller keeps large
// frames and 4 KiB pages in disjoint regions.
class TableBuilder {
public:
	TableBuilder(zpci_mem mem, uint64_t table_base) : mem_(mem), next_(table_base)
	{
		rtto_ = alloc_table(ZPCI_TABLE_SIZE, ZPCI_TABLE_INVALID);
	}

	uint64_t rtto() const { return rtto_; }
	uint64_t iota() const { return zpci_mk_iota(rtto_, ZPCI_IOTA_DT_RT); }
	uint64_t table_end() const { return next_; }
	const Oracle &oracle() const { return oracle_; }

	void map_4k(uint64_t iova, uint64_t pa, bool ro)
	{
		uint64_t pto = page_table(iova);
		write(pto + zpci_px(iova) * 8, zpci_mk_pte(pa, ro));
		oracle_.add(iova & ZPCI_PAGE_MASK, { pa & ZPCI_PAGE_MASK, ZPCI_PAGE_SIZE, ro });
	}

	void map_1m(uint64_t iova, uint64_t pa, bool ro)
	{
		uint64_t sto = segment_table(iova);
		uint64_t e = (pa & ~(ZPCI_SEG_FRAME_SIZE - 1)) | ZPCI_TABLE_TYPE_SX | ZPCI_TABLE_FC |
			     (ro ? ZPCI_TABLE_PROTECTED : 0);
		write(sto + zpci_sx(iova) * 8, e);
		oracle_.add(iova & ~(ZPCI_SEG_FRAME_SIZE - 1),
			    { pa & ~(ZPCI_SEG_FRAME_SIZE - 1), ZPCI_SEG_FRAME_SIZE, ro });
	}

	void map_2g(uint64_t iova, uint64_t pa, bool ro)
	{
		uint64_t e = (pa & ~(ZPCI_RT_FRAME_SIZE - 1)) | ZPCI_TABLE_TYPE_RTX | ZPCI_TABLE_FC |
			     ZPCI_TABLE_LEN_FULL | (ro ? ZPCI_TABLE_PROTECTED : 0);
		write(rtto_ + zpci_rtx(iova) * 8, e);
		oracle_.add(iova & ~(ZPCI_RT_FRAME_SIZE - 1),
			    { pa & ~(ZPCI_RT_FRAME_SIZE - 1), ZPCI_RT_FRAME_SIZE, ro });
	}

	uint64_t read(uint64_t addr) const
	{
		uint64_t v = 0;
		if (zpci_mem_read64(&mem_, addr, &v))
			throw std::runtime_error("table read outside memory");
		return v;
	}

	void write(uint64_t addr, uint64_t v)
	{
		if (zpci_mem_write64(&mem_, addr, v))
			throw std::runtime_error("table write outside memory");
	}

private:
	uint64_t alloc_table(uint64_t size, uint64_t invalid)
	{
		uint64_t t = (next_ + size - 1) & ~(size - 1);
		next_ = t + size;
		for (uint64_t off = 0; off < size; off += 8)
			write(t + off, invalid);
		return t;
	}

	uint64_t segment_table(uint64_t iova)
	{
		uint64_t rte_addr = rtto_ + zpci_rtx(iova) * 8;
		uint64_t rte = read(rte_addr);
		if (rte & ZPCI_TABLE_INVALID) {
			uint64_t sto = alloc_table(ZPCI_TABLE_SIZE, ZPCI_TABLE_INVALID);
			write(rte_addr, zpci_mk_rte(sto, ZPCI_TABLE_TYPE_RTX));
			return sto;
		}
		return rte & ZPCI_RTE_ADDR_MASK;
	}

	uint64_t page_table(uint64_t iova)
	{
		uint64_t sto = segment_table(iova);
		uint64_t ste_addr = sto + zpci_sx(iova) * 8;
		uint64_t ste = read(ste_addr);
		if (ste & ZPCI_TABLE_INVALID) {
			uint64_t pto = alloc_table(ZPCI_PT_SIZE, ZPCI_PTE_INVALID);
			write(ste_addr, zpci_mk_ste(pto));
			return pto;
		}
		return ste & ZPCI_STE_ADDR_MASK;
	}

	zpci_mem mem_;
	uint64_t next_;
	uint64_t rtto_;
	Oracle oracle_;
};

// RAII owner of a sparse memory.
class SparseMem {
public:
	explicit SparseMem(uint64_t size) : sm_(zpci_sparse_mem_create(size))
	{
		if (!sm_)
			throw std::runtime_error("cannot create sparse memory");
	}
	~SparseMem() { zpci_sparse_mem_destroy(sm_); }
	SparseMem(const SparseMem &) = delete;
	SparseMem &operator=(const SparseMem &) = delete;

	zpci_mem view() { return zpci_sparse_mem_view(sm_); }
	zpci_sparse_mem *get() { return sm_; }

private:
	zpci_sparse_mem *sm_;
};

}  // namespace zpcisim::test
