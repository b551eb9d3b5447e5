package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/somahw/soma/backends/spinnaker"
	"github.com/somahw/soma/program"
)

type inspectFlags struct {
	core   string
	region string
	json   bool
}

func newInspectCmd() *cobra.Command {
	var f inspectFlags
	cmd := &cobra.Command{
		Use:   "inspect IMAGE [--core X,Y,P --region NAME] [--json]",
		Short: "Summarise a SpiNNaker board image, or dump one region of one core",
		Long: `Inspect reads a SpiNNaker board image (soma's .spinn format, see
docs/image-format.md) and summarises it: target and board, run settings,
populations, router-table occupancy per chip, every core with the sizes of
its regions, and whether the CRC and each checksum hold. A corrupt image is
still summarised, with the failed checksums listed.

Given a board manifest (the text file listing a multi-board machine's
images), it summarises every board's image.

--core X,Y,P --region NAME dumps one region of one core decoded: the
synaptic matrix as rows (pre key and index -> post neuron, weight, delay,
synapse type), the other regions field by field. Regions: ` + strings.Join(spinnaker.RegionNames(), ", ") + `.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return inspectImage(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.core, "core", "", "core to dump, as X,Y,P (with --region)")
	fl.StringVar(&f.region, "region", "", "region to dump: "+strings.Join(spinnaker.RegionNames(), ", "))
	fl.BoolVar(&f.json, "json", false, "print the summary as JSON")
	return cmd
}

// boardImage is one image file to inspect.
type boardImage struct {
	path string
	b    []byte
}

func inspectImage(cmd *cobra.Command, path string, f inspectFlags) error {
	if (f.core == "") != (f.region == "") {
		return fmt.Errorf("--core and --region go together: --core X,Y,P --region one of %s", strings.Join(spinnaker.RegionNames(), ", "))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	images := []boardImage{{path, b}}
	var manifest *spinnaker.Manifest
	// A manifest is text starting with its header line; an image starts
	// with its magic, so the two cannot be confused.
	if bytes.HasPrefix(b, []byte(spinnaker.ManifestHeader+"\n")) {
		if manifest, err = spinnaker.ParseManifest(b); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		images = nil
		for _, e := range manifest.Boards {
			p := filepath.Join(filepath.Dir(path), e.File)
			ib, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("board %d of %s: %w", e.Index, path, err)
			}
			images = append(images, boardImage{p, ib})
		}
	}
	out := cmd.OutOrStdout()
	if f.core != "" {
		id, err := parseCoreID(f.core)
		if err != nil {
			return err
		}
		region, err := spinnaker.ParseRegion(f.region)
		if err != nil {
			return fmt.Errorf("--region: %w", err)
		}
		// On a multi-board machine the core is on one board's image: dump
		// from the first image that has it.
		var firstErr error
		for _, im := range images {
			err := spinnaker.DumpRegion(out, im.b, id, region)
			if err == nil {
				return nil
			}
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", im.path, err)
			}
		}
		return firstErr
	}
	var sums []*spinnaker.Summary
	for _, im := range images {
		s, err := spinnaker.Inspect(im.b)
		if err != nil {
			return fmt.Errorf("%s: %w", im.path, err)
		}
		sums = append(sums, s)
	}
	if f.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if manifest == nil {
			return enc.Encode(sums[0])
		}
		return enc.Encode(struct {
			Manifest *spinnaker.Manifest  `json:"manifest"`
			Boards   []*spinnaker.Summary `json:"boards"`
		}{manifest, sums})
	}
	for i, s := range sums {
		if manifest != nil {
			if i > 0 {
				fmt.Fprintln(out)
			}
			fmt.Fprintf(out, "== board %d: %s\n", i, images[i].path)
		}
		if err := s.WriteText(out); err != nil {
			return err
		}
	}
	return nil
}

// parseCoreID reads "X,Y,P".
func parseCoreID(s string) (program.CoreID, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return program.CoreID{}, fmt.Errorf("--core %q: want X,Y,P, e.g. 0,0,3", s)
	}
	var v [3]uint8
	for i, p := range parts {
		n, err := strconv.ParseUint(strings.TrimSpace(p), 10, 8)
		if err != nil {
			return program.CoreID{}, fmt.Errorf("--core %q: %q is not a number 0–255", s, p)
		}
		v[i] = uint8(n)
	}
	return program.CoreID{X: v[0], Y: v[1], P: v[2]}, nil
}
