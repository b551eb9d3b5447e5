package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/somahw/soma/target"
)

func newTargetsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "targets",
		Short: "List the hardware targets soma knows",
		Long: `Targets lists the built-in hardware descriptions (targets/*.json, embedded
in the binary). "soma targets show NAME" prints one in full, with its
limits, numeric formats and energy coefficients and their sources.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			all, err := target.All()
			if err != nil {
				return err
			}
			for _, t := range all {
				fmt.Fprintln(cmd.OutOrStdout(), t.OneLine())
			}
			return nil
		},
	}
	var asJSON bool
	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Print one target in full",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := target.Load(args[0])
			if err != nil {
				return err
			}
			if asJSON {
				b, err := t.JSON()
				if err != nil {
					return err
				}
				_, err = cmd.OutOrStdout().Write(append(b, '\n'))
				return err
			}
			return t.WriteSummary(cmd.OutOrStdout())
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print the resolved target as JSON")
	cmd.AddCommand(show)
	return cmd
}
