"""The jobs a config asks the daemon for: a crawl per enabled source, a digest per
schedule, each schedule checked with the config key it came from."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.config import AppConfig, ConfigError
from monitor.schedules import make_trigger


@dataclass(frozen=True)
class JobSpec:
    """One job the config asks for."""

    id: str
    kind: str  # crawl | digest
    arg: str  # the source name, or the digest schedule
    schedule: str
    config_key: str  # where the schedule came from, for error messages

    def signature(self, tz_name: str) -> str:
        # Stored as the job's name: an unchanged signature means "keep the stored job".
        return f"{self.kind} {self.arg} [{self.schedule}] {tz_name}"


def job_specs(config: AppConfig) -> list[JobSpec]:
    specs: list[JobSpec] = []
    for name, source in config.enabled_sources().items():
        key = f"sources.{name}.schedule" if source.schedule else "crawl.default_schedule"
        specs.append(
            JobSpec(f"crawl:{name}", "crawl", name, source.schedule or config.crawl.default_schedule, key)
        )
    for i, text in enumerate(dict.fromkeys(config.digest.schedules)):
        specs.append(JobSpec(f"digest:{text}", "digest", text, text, f"digest.schedules[{i}]"))
    return specs


def check_schedules(config: AppConfig) -> list[JobSpec]:
    """Every job the config asks for, with each schedule checked; ConfigError names the key."""
    specs = job_specs(config)
    for spec in specs:
        try:
            make_trigger(spec.schedule, config.tz)
        except ValueError as exc:
            raise ConfigError(
                f"{config.config_path or 'config'}: {spec.config_key}: bad schedule {spec.schedule!r}: {exc}"
            ) from None
    return specs
