import ArgumentParser
import RunclinicEngine

/// `--fail-on warning|high|critical`: argument parsing checks it and names the choices.
extension AnomalySeverity: ExpressibleByArgument {}
