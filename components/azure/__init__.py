"""Azure (azure-native) implementations of Rollway's component families: one Container App per color behind
Azure Front Door Standard, Container Apps scale rules or VM scale set autoscale settings.

Modules: environment, blue_green, canary, autoscaling (components) and schedules (pure helpers the config
model shares). Import from the modules; this package stays light so config validation needs no SDK.
"""

FRONT_DOOR_ID_ENV = "ROLLWAY_FRONT_DOOR_ID"
"""Environment variable every Container App gets: the environment's Front Door profile id. Requests that came
through this profile carry it in `X-Azure-FDID`; the app (or a sidecar) refuses the others (docs/azure.md)."""
