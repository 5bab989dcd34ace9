"""The canary weighted route on AWS: the ALB's production listener with a weighted `forward` action between
the live and the idle target group, HTTPS when a certificate is configured (HTTP then only redirects), and an
optional header-pinned rule that always reaches the idle color.

The production listener is the only resource whose inputs depend on the canary weight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aws.blue_green import DEFAULT_SSL_POLICY
from components.blue_green import COLORS, Color
from components.canary import CanaryArgs

# ALB forward weights are 0..999 per target group; a 0..100 scale keeps them equal to the percentages.
WEIGHT_TOTAL = 100
# ALB stickiness durations are 1 second .. 7 days.
_MAX_STICKINESS_SECONDS = 604800


@dataclass(frozen=True)
class AwsCanaryArgs:
    """The cloud-agnostic CanaryArgs plus the ALB and target groups to route between."""

    canary: CanaryArgs
    """Live color, canary weight, optional pinning header and stickiness."""
    load_balancer_arn: pulumi.Input[str]
    """The service's ALB (from BlueGreenTargets)."""
    target_group_arns: Mapping[Color, pulumi.Input[str]]
    """Target group per color (from BlueGreenTargets)."""
    certificate_arn: str | None = None
    """ACM certificate; when set production is HTTPS on 443 and HTTP on 80 only redirects."""
    ssl_policy: str = DEFAULT_SSL_POLICY
    """TLS policy of the HTTPS listener."""
    header_rule_priority: int = 10
    """Priority of the header-pinned rule on the production listener (1..50000, unique per listener)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every taggable child."""


class CanaryRoute(pulumi.ComponentResource):
    """Production listener with weighted forward, optional HTTP->HTTPS redirect and header-pinned rule."""

    listener: aws.lb.Listener
    redirect_listener: aws.lb.Listener | None
    header_rule: aws.lb.ListenerRule | None

    def __init__(self, name: str, args: AwsCanaryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        canary = args.canary
        missing = [color for color in COLORS if color not in args.target_group_arns]
        if missing:
            raise ValueError(f"target_group_arns has no target group for {', '.join(missing)}")
        if (canary.header_name is None) != (canary.header_value is None):
            raise ValueError("header_name and header_value must be set together")
        stickiness = canary.stickiness_seconds
        if stickiness is not None and not 1 <= stickiness <= _MAX_STICKINESS_SECONDS:
            raise ValueError(f"stickiness_seconds must be between 1 and {_MAX_STICKINESS_SECONDS}, got {stickiness}")
        # Raises on a weight outside 0..100 before anything is registered.
        weights = canary.split(WEIGHT_TOTAL)
        super().__init__("rollway:aws:CanaryRoute", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        https = args.certificate_arn is not None

        self.listener = aws.lb.Listener(
            f"{name}-production",
            load_balancer_arn=args.load_balancer_arn,
            port=443 if https else 80,
            protocol="HTTPS" if https else "HTTP",
            certificate_arn=args.certificate_arn,
            ssl_policy=args.ssl_policy if https else None,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="forward",
                    forward=aws.lb.ListenerDefaultActionForwardArgs(
                        # Fixed blue, green order: a weight change or a color switch only changes the weights.
                        target_groups=[
                            aws.lb.ListenerDefaultActionForwardTargetGroupArgs(
                                arn=args.target_group_arns[color], weight=weights[color]
                            )
                            for color in COLORS
                        ],
                        stickiness=(
                            aws.lb.ListenerDefaultActionForwardStickinessArgs(enabled=True, duration=stickiness)
                            if stickiness is not None
                            else None
                        ),
                    ),
                )
            ],
            tags={**tags, "Name": f"{name}-production"},
            opts=child,
        )

        self.redirect_listener = None
        if https:
            self.redirect_listener = aws.lb.Listener(
                f"{name}-http-redirect",
                load_balancer_arn=args.load_balancer_arn,
                port=80,
                protocol="HTTP",
                default_actions=[
                    aws.lb.ListenerDefaultActionArgs(
                        type="redirect",
                        redirect=aws.lb.ListenerDefaultActionRedirectArgs(protocol="HTTPS", port="443", status_code="HTTP_301"),
                    )
                ],
                tags={**tags, "Name": f"{name}-http-redirect"},
                opts=child,
            )

        self.header_rule = None
        if canary.header_name is not None and canary.header_value is not None:
            self.header_rule = aws.lb.ListenerRule(
                f"{name}-canary-header",
                listener_arn=self.listener.arn,
                priority=args.header_rule_priority,
                conditions=[
                    aws.lb.ListenerRuleConditionArgs(
                        http_header=aws.lb.ListenerRuleConditionHttpHeaderArgs(
                            http_header_name=canary.header_name, values=[canary.header_value]
                        )
                    )
                ],
                actions=[
                    aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=args.target_group_arns[canary.idle_color])
                ],
                tags={**tags, "Name": f"{name}-canary-header"},
                opts=child,
            )

        self.register_outputs(
            {
                "listenerArn": self.listener.arn,
                "weights": dict(weights),
                "redirectListenerArn": self.redirect_listener.arn if self.redirect_listener else None,
                "headerRuleArn": self.header_rule.arn if self.header_rule else None,
            }
        )
