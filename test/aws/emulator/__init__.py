"""An emulated AWS account on moto's server that deploys and runs what `cdk synth` produced (see README, Tests)."""
