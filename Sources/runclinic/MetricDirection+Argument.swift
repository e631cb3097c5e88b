import ArgumentParser
import RunclinicEngine

/// `--mode max|min`: argument parsing checks it and names the choices.
extension MetricDirection: ExpressibleByArgument {}
