"""What residents raise, what the area team does with it, and showing it back."""
