/* SPDX-License-Identifier: MIT */
/*
 * The hardware-access interface: every instruction the guest's zPCI DMA
 * layer issues goes through one const ops table plus a private pointer.
 * It is the only seam between the C drivers and whatever plays the machine:
 * the functional function in drivers/host/ (with a design's hypervisor and
 * the machine's instruments in front of it), or a remote simulator.  The
 * SystemC models never answer instructions: they share the function's
 * state, hang their IOTLB off its flush hook and report each translation
 * through zpci_func_used().  C never sees a C++ type through it.
 *
 * Instruction outcomes are architected values (cc, status), not errnos;
 * zpci_insn_errno() is the one place that maps them.
 */
#ifndef ZPCI_HW_H
#define ZPCI_HW_H

#include <zpci/arch.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What CLP Query PCI Function reports. */
struct zpci_clp_fn {
	u32 fid;
	u32 fh;			/* the handle while disabled */
	u8 pfgid;		/* function group */
	dma_addr_t sdma;	/* start of the DMA address range */
	dma_addr_t edma;	/* end of it, inclusive */
};

/* What CLP Query PCI Function Group reports. */
struct zpci_clp_group {
	u8 pfgid;
	bool refresh;		/* RPCIT needed after validating entries too */
};

/* Function information block: what MPCIFC takes and STPCIFC returns. */
struct zpci_fib {
	dma_addr_t pba;		/* lowest DMA address */
	dma_addr_t pal;		/* highest DMA address, inclusive */
	u64 iota;
	bool enabled;
	bool blocked;		/* DMA and loads/stores blocked (error recovery) */
	bool error;		/* function in the error state */
	u64 dma_read_bytes;	/* measurement block counters */
	u64 dma_write_bytes;
};

/* Condition code and, for cc 1, the status byte. */
struct zpci_insn_result {
	u8 cc;
	u8 status;
};

struct zpci_hw_ops {
	/* CLP: 0, or -ENODEV for an unknown fid / group. */
	int (*clp_query_fn)(void *priv, u32 fid, struct zpci_clp_fn *fn);
	int (*clp_query_group)(void *priv, u8 pfgid, struct zpci_clp_group *grp);
	/* CLP Set PCI Function: enable or disable; *fh gets the new handle. */
	int (*clp_set_fn)(void *priv, u32 fh, bool enable, u32 *new_fh);
	struct zpci_insn_result (*mpcifc)(void *priv, u32 fh, u8 oc, const struct zpci_fib *fib);
	struct zpci_insn_result (*stpcifc)(void *priv, u32 fh, struct zpci_fib *fib);
	struct zpci_insn_result (*rpcit)(void *priv, u32 fh, dma_addr_t iova, u64 len);
};

struct zpci_hw {
	const struct zpci_hw_ops *ops;
	void *priv;
};

/*
 * The errno a driver sees for an instruction outcome: 0; -EBUSY (cc 2);
 * -ENOMEM (cc 1, insufficient resources); -EIO (cc 1, other status);
 * -ENODEV (cc 3).
 */
static inline int zpci_insn_errno(struct zpci_insn_result r)
{
	switch (r.cc) {
	case ZPCI_CC_OK:
		return 0;
	case ZPCI_CC_BUSY:
		return -EBUSY;
	case ZPCI_CC_STATUS:
		return r.status == ZPCI_RPCIT_ST_INSUFF_RES ? -ENOMEM : -EIO;
	default:
		return -ENODEV;
	}
}

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_HW_H */
