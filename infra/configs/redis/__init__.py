"""Redis' configuration file (redis.conf), rendered by `render`."""

from infra.configs.redis.render import CONFIG_PATH, RedisConfig, render_redis_conf

__all__ = ["CONFIG_PATH", "RedisConfig", "render_redis_conf"]
