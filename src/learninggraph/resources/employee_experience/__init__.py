"""The employeeExperience containers: the tenant's singleton and each user's employeeExperienceUser."""
