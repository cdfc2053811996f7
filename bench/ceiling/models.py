from django.db import models


class Item(models.Model):
    title = models.CharField(max_length=200)
    summary = models.TextField()
    position = models.PositiveIntegerField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title
