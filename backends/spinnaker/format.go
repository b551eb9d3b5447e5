// Package spinnaker encodes a compiled program.Program as a SpiNNaker-style
// board image and decodes it back: pure functions from a program to bytes
// and from bytes to a program, with nothing else in between (no files, no
// links). docs/image-format.md is the byte-level specification; a board's
// firmware parses the same bytes.
//
// The image is little-endian and word-aligned. A fixed header is followed by
// a chip table (router tables), a core table (each core's data-specification
// header: magic 0xAD130AD6, version 0x00010000 and a table of regions with
// their pointers, checksums and sizes, as SpiNNaker's data specification
// writes them), the populations table the host needs to rebuild the program,
// the router entries, every core's region payloads and a CRC-32 trailer.
//
// Decode(Encode(p)) equals p, Encode(Decode(b)) is byte-identical to b, and
// Decode checks everything it reads: a hostile image gives an error naming
// the byte offset and the chip, core and region concerned, never a panic or
// an allocation larger than the image.
package spinnaker

import (
	"fmt"
)

// FormatVersion is the version of the image format (docs/image-format.md).
const FormatVersion = 1

// Magic opens every image.
const Magic = "SOMASPIN"

// AppID is the SpiNNaker application id the loader gives an image's cores.
// soma runs one application per machine, so it is a constant; it is in the
// header so that firmware need not know that.
const AppID = 16

// Data-specification constants, as SpiNNaker's data_specification.h
// defines them for the per-core region table.
const (
	DSMagic   = 0xAD130AD6
	DSVersion = 0x00010000
)

// Region identifies one region of a core's data specification.
type Region int

// The regions, in slot order. A region a core does not need is absent:
// pointer, checksum and size are all zero.
const (
	// RegionSystem: timestep, run length and numeric format (every core).
	RegionSystem Region = iota
	// RegionNeurons: the record layout (field names and formats) and the
	// neuron records.
	RegionNeurons
	// RegionSynapseParams: ring-buffer geometry and weight shifts.
	RegionSynapseParams
	// RegionPopTable: the master population table.
	RegionPopTable
	// RegionSynapses: the synaptic matrix, program.Core.Synapses as is.
	RegionSynapses
	// RegionSTDP: STDP parameters and decay lookup tables.
	RegionSTDP
	// RegionRecording: spike bitmap, analogue and weight probes.
	RegionRecording
	// RegionSpikes: a spike source's (step, index) list.
	RegionSpikes
	// RegionDelay: a delay-extension core's configuration.
	RegionDelay
	// NumRegions is the number of region slots per core.
	NumRegions
)

var regionNames = [NumRegions]string{
	"system", "neurons", "synapse_params", "pop_table", "synapses", "stdp", "recording", "spikes", "delay",
}

func (r Region) String() string {
	if r >= 0 && r < NumRegions {
		return regionNames[r]
	}
	return fmt.Sprintf("region(%d)", int(r))
}

// RegionNames lists the region names in slot order.
func RegionNames() []string { return regionNames[:] }

// ParseRegion looks a region up by name.
func ParseRegion(name string) (Region, error) {
	for i, n := range regionNames {
		if n == name {
			return Region(i), nil
		}
	}
	return 0, fmt.Errorf("no region %q; regions: %v", name, regionNames)
}

// Byte sizes and offsets of the fixed parts (docs/image-format.md).
const (
	nameBytes     = 32 // fixed ASCII fields: target and model names
	headerBytes   = 160
	chipRecBytes  = 16
	routeBytes    = 12
	coreFixed     = 64 // core record up to its region table
	regionRec     = 12 // pointer, checksum, n_words
	coreRecBytes  = coreFixed + regionRec*int(NumRegions)
	trailerBytes  = 4
	systemWords   = 9
	popEntryWords = 6
)

// Header field offsets.
const (
	hMagic       = 0
	hVersion     = 8
	hHeaderBytes = 12
	hImageBytes  = 16
	hAppID       = 20
	hTarget      = 24
	hWidth       = 56
	hHeight      = 58
	hCoresChip   = 60
	hMonitors    = 61
	hBoards      = 62
	hFlags       = 63
	hBoard       = 64
	hBoardCount  = 65
	hOriginX     = 66
	hOriginY     = 67
	hTimestepUS  = 68
	hTimestep    = 72
	hSteps       = 80
	hSeed        = 84
	hNumeric     = 92 // five bytes: state_frac, state_bits, decay_frac, weight_bits, ring_bits
	hRegions     = 97
	hReserved    = 98 // two zero bytes
	hFingerprint = 100
	hNChips      = 116
	hNCores      = 120
	hNPops       = 124
	hChipTable   = 128
	hCoreTable   = 132
	hPopTable    = 136
	hRoutes      = 140
	hPayload     = 144
	hPayloadSize = 148
	// 152–159 reserved, zero.
)

// flagWrap is header flags bit 0: the machine's edges join (a torus).
const flagWrap = 1

// fingerprintBytes is how much of the SHA-256 of program.Encode the header
// keeps: 128 bits identify a build without making the header large.
const fingerprintBytes = 16
