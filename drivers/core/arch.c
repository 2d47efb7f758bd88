// SPDX-License-Identifier: MIT
/*
 * The one table of PCI error-event codes.
 */
#include <zpci/arch.h>

#define PEC(c, fam, n, t) { .code = (c), .family = ZPCI_PEC_FAMILY_##fam, .name = (n), .text = (t) }

static const struct zpci_pec_desc zpci_pec_table[] = {
	PEC(ZPCI_PEC_INVALID_AS, TRANSLATION, "invalid-as",
	    "no DMA address space registered (translation not enabled)"),
	PEC(ZPCI_PEC_OUT_OF_RANGE, TRANSLATION, "out-of-range",
	    "DMA address outside the registered aperture or table span"),
	PEC(ZPCI_PEC_INVALID_FORMAT, TRANSLATION, "invalid-format",
	    "translation format not supported (designation type, frame size or frame control)"),
	PEC(ZPCI_PEC_TRANSLATION_PROT, TRANSLATION, "translation-protection",
	    "DMA write to a page whose translation is protected"),
	PEC(ZPCI_PEC_ACCESS_PROT, TRANSLATION, "access-protection",
	    "DMA access denied by storage protection"),
	PEC(ZPCI_PEC_KEY, TRANSLATION, "key",
	    "storage key mismatch"),
	PEC(ZPCI_PEC_INVALID_ENTRY, TRANSLATION, "invalid-entry",
	    "translation table entry invalid or unreadable"),
	PEC(ZPCI_PEC_INVALID_LENGTH, TRANSLATION, "invalid-length",
	    "index outside the table offset/length of a region entry"),
	PEC(ZPCI_PEC_TABLE_TYPE, TRANSLATION, "table-type",
	    "table-type bits of an entry do not match its table level"),
	PEC(ZPCI_PEC_INVALID_MSI, TRANSLATION, "invalid-msi",
	    "invalid MSI address"),
	PEC(ZPCI_PEC_SYSTEM_ERROR, TRANSLATION, "system-error",
	    "system error during DMA"),
	PEC(ZPCI_PEC_NO_MSI, INTERRUPT, "no-msi",
	    "MSI not enabled or vector out of range"),
	PEC(ZPCI_PEC_INVALID_AIBV, INTERRUPT, "invalid-aibv",
	    "invalid adapter interruption bit vector"),
	PEC(ZPCI_PEC_AIBV_ADDR, INTERRUPT, "aibv-address",
	    "adapter interruption bit vector address error"),
	PEC(ZPCI_PEC_AIRQ_ERROR, INTERRUPT, "airq-error",
	    "adapter interruption error"),
	PEC(ZPCI_PEC_FMB_ADDR, MEASUREMENT, "fmb-address",
	    "function measurement block address error"),
	PEC(ZPCI_PEC_FMB_UPDATE, MEASUREMENT, "fmb-update",
	    "function measurement block update error"),
	PEC(ZPCI_PEC_FMB_PROT, MEASUREMENT, "fmb-protection",
	    "function measurement block protection error"),
	PEC(ZPCI_PEC_CONFIG_CHANGE, FUNCTION, "config-change",
	    "function configuration changed"),
	PEC(ZPCI_PEC_SERVICE_ACTION, FUNCTION, "service-action",
	    "service action or error recovery in progress"),
	PEC(ZPCI_PEC_PERMANENT_ERROR, FUNCTION, "permanent-error",
	    "function permanently failed"),
};

const struct zpci_pec_desc *zpci_pec_lookup(unsigned int code)
{
	size_t i;

	for (i = 0; i < ZPCI_ARRAY_SIZE(zpci_pec_table); i++)
		if ((unsigned int)zpci_pec_table[i].code == code)
			return &zpci_pec_table[i];
	return NULL;
}

const char *zpci_pec_name(unsigned int code)
{
	const struct zpci_pec_desc *d = zpci_pec_lookup(code);

	if (code == ZPCI_PEC_NONE)
		return "none";
	return d ? d->name : "unknown";
}

const char *zpci_pec_text(unsigned int code)
{
	const struct zpci_pec_desc *d = zpci_pec_lookup(code);

	if (code == ZPCI_PEC_NONE)
		return "no error";
	return d ? d->text : "code not defined by the architecture";
}
