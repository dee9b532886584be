"""The service's errors, named as the Personalize API names them so botocore raises the same classes."""

from __future__ import annotations


class ServiceError(Exception):
    """An error the client should see: `code` is the modelled exception name (the wire `__type`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class JobFailed(Exception):
    """A background job (import, training) failed for a reason the user can act on; the message
    becomes the resource's failureReason as it is, without an exception class name."""


def invalid_input(message: str) -> ServiceError:
    return ServiceError("InvalidInputException", message)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


def already_exists(message: str) -> ServiceError:
    return ServiceError("ResourceAlreadyExistsException", message)


def in_use(message: str) -> ServiceError:
    return ServiceError("ResourceInUseException", message)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message)


def invalid_next_token(message: str) -> ServiceError:
    return ServiceError("InvalidNextTokenException", message)
